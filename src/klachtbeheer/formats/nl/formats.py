# Dutch: Django's own formats, with a comma between date and time as our pages always had.
DATE_FORMAT = "j F Y"  # 1 december 2026
DATETIME_FORMAT = "j F Y, H:i"  # 1 december 2026, 14:05
SHORT_DATE_FORMAT = "j-n-Y"  # 1-12-2026
SHORT_DATETIME_FORMAT = "j-n-Y H:i"
MONTH_DAY_FORMAT = "j F"  # 1 december
YEAR_MONTH_FORMAT = "F Y"  # december 2026
TIME_FORMAT = "H:i"
