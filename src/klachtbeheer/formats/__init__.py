"""Date and time formats per language (settings.FORMAT_MODULE_PATH), one place for them all.

Templates name a format (`date:"DATE_FORMAT"`), never spell one out, so a Dutch page says
"1 december 2026" and an English one "1 December 2026" (issue 14: "1 Dec 2026" on Dutch pages).
"""
