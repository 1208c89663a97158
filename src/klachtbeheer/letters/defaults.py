# ruff: noqa: E501 - each paragraph of a letter is one line, as the quality manager edits it
"""The first version of each letter and the bodies for the next step, in Dutch.

The data migration seeds these; `template_for` falls back on them when a kind
has no version yet (a fresh or emptied database), so a letter can always be
made. The quality manager changes them in the admin, which adds versions.

Placeholders (all text, already written out in Dutch):
naam, aanhef, kenmerk, ontvangen_op, organisatie, adres_klachten,
ondertekenaar, functie, behandelaar, contact_uiterlijk, afgehandeld_uiterlijk,
contact_datum, gesprek_datum, gesprek_tijd, gesprek_plaats, oude_datum,
nieuwe_datum, reden (extension, not a complaint), oordeel, motivering, maatregelen (a list),
vervolg_naam, vervolg_tekst.
"""

from __future__ import annotations

SIGNATURE = """Met vriendelijke groet,

{{ ondertekenaar }}
{{ functie }}
{{ organisatie }}"""

TEMPLATES: dict[str, tuple[str, str]] = {
    "acknowledgement": (
        "Ontvangstbevestiging van uw klacht",
        """Geachte {{ aanhef }},

Op {{ ontvangen_op }} hebben wij uw klacht ontvangen. Met deze brief bevestigen wij dat. Uw klacht heeft het kenmerk {{ kenmerk }}. Wilt u dit kenmerk noemen als u contact met ons opneemt?

Wat gebeurt er nu? Uiterlijk {{ contact_uiterlijk }} neemt de klachtbehandelaar contact met u op, zo mogelijk telefonisch. In dat gesprek bespreken wij uw klacht en hoe wij die verder behandelen. Wij handelen uw klacht uiterlijk {{ afgehandeld_uiterlijk }} af. Lukt dat niet, dan laten wij u dat vóór die datum schriftelijk weten, met de nieuwe datum.

Heeft u in de tussentijd vragen, neem dan contact met ons op.

"""
        + SIGNATURE,
    ),
    "withdrawal": (
        "Bevestiging: u heeft uw klacht ingetrokken",
        """Geachte {{ aanhef }},

Op {{ contact_datum }} hebben wij met u gesproken over uw klacht van {{ ontvangen_op }} (kenmerk {{ kenmerk }}). In dat gesprek bleek dat er sprake was van een misverstand. U heeft toen aangegeven dat u uw klacht intrekt.

Met deze brief bevestigen wij dat. De behandeling van uw klacht is hiermee beëindigd.

Klopt deze bevestiging niet, of wilt u uw klacht toch laten behandelen? Neem dan binnen twee weken contact met ons op. Wij nemen de behandeling dan weer op.

Wij danken u voor het gesprek en de moeite die u heeft genomen om ons op de hoogte te brengen.

"""
        + SIGNATURE,
    ),
    "meeting_invitation": (
        "Uitnodiging voor een gesprek over uw klacht",
        """Geachte {{ aanhef }},

Naar aanleiding van uw klacht van {{ ontvangen_op }} (kenmerk {{ kenmerk }}) hebben wij contact met u gehad. Zoals afgesproken nodigen wij u uit voor een persoonlijk gesprek.

- Datum: {{ gesprek_datum }}
- Tijd: {{ gesprek_tijd }}
- Plaats: {{ gesprek_plaats }}
- Met: {{ behandelaar }}

In het gesprek bespreken wij uw klacht en wat u van ons verwacht. Wilt u iemand meenemen, dan kan dat.{% if per_email %} Bij deze e-mail vindt u een agendabestand (.ics); daarmee zet u de afspraak in uw agenda.{% endif %}

Past het tijdstip u toch niet? Laat het ons dan zo snel mogelijk weten, dan maken wij een nieuwe afspraak.

"""
        + SIGNATURE,
    ),
    "extension": (
        "Verlenging van de termijn voor de afhandeling van uw klacht",
        """Geachte {{ aanhef }},

Op {{ ontvangen_op }} hebben wij uw klacht ontvangen (kenmerk {{ kenmerk }}). Volgens onze klachtenregeling handelen wij een klacht binnen vier weken af, in uw geval uiterlijk {{ oude_datum }}.

Het lukt ons niet om uw klacht binnen die termijn af te handelen. De reden daarvoor is:

{{ reden }}

Wij handelen uw klacht daarom uiterlijk {{ nieuwe_datum }} af. Onze excuses voor het langere wachten.

Heeft u vragen over deze verlenging, neem dan contact op met {{ behandelaar }}.

"""
        + SIGNATURE,
    ),
    "decision": (
        "Beslissing op uw klacht",
        """Geachte {{ aanhef }},

Op {{ ontvangen_op }} heeft u een klacht bij ons ingediend (kenmerk {{ kenmerk }}). Wij hebben uw klacht zorgvuldig onderzocht en alle beschikbare informatie daarbij betrokken. In deze brief leest u onze beslissing.

Ons oordeel: uw klacht is {{ oordeel }}.

Waarom wij zo oordelen:

{{ motivering }}

{% if maatregelen %}Naar aanleiding van uw klacht nemen wij de volgende maatregelen:

{% for maatregel in maatregelen %}- {{ maatregel }}
{% endfor %}{% else %}Naar aanleiding van uw klacht nemen wij geen maatregelen.{% endif %}

Bent u het niet eens met deze beslissing of met de manier waarop wij uw klacht hebben behandeld? Dan kunt u zich wenden tot {{ vervolg_naam }}.

{{ vervolg_tekst }}

Wij danken u dat u de moeite heeft genomen ons op de hoogte te brengen. Uw klacht helpt ons onze dienstverlening te verbeteren.

"""
        + SIGNATURE,
    ),
    "not_a_complaint": (
        "Reactie op uw bericht",
        """Geachte {{ aanhef }},

Op {{ ontvangen_op }} hebben wij uw bericht ontvangen (kenmerk {{ kenmerk }}). Wij hebben het gelezen en beoordeeld.

Uw bericht is geen klacht in de zin van onze klachtenregeling. Een klacht gaat over een tekortkoming van onze organisatie: afspraken die niet zijn nagekomen, dienstverlening die niet goed was, of de manier waarop een medewerker zich heeft gedragen. Wij behandelen uw bericht daarom niet als klacht.
{% if reden %}
Waarom wij zo oordelen:

{{ reden }}
{% endif %}
Gaat uw bericht over een vraag of verzoek, dan zorgen wij dat de juiste medewerker het oppakt. Bent u het niet eens met onze beoordeling, of wilt u alsnog een klacht indienen? Neem dan contact met ons op, of schrijf naar:

{{ adres_klachten }}

"""
        + SIGNATURE,
    ),
}

# applies_to → (name, how to reach). UWV clients always go to UWV (P4.2).
NEXT_BODIES: dict[str, tuple[str, str]] = {
    "uwv_client": (
        "UWV Klachtenservice (voorheen Klachtenbureau UWV)",
        "U bent cliënt van UWV. Bent u niet tevreden, dan kunt u uw klacht voorleggen aan "
        "UWV Klachtenservice, het vroegere Klachtenbureau UWV. Dat kan via het "
        "klachtenformulier op www.uwv.nl of telefonisch via UWV.",
    ),
    "client": (
        "Stichting Blik op Werk",
        "Wij hebben het Blik op Werk Keurmerk. Blik op Werk behandelt klachten over "
        "keurmerkhouders nadat de eigen klachtenprocedure is doorlopen. Kijk voor de "
        "werkwijze op www.blikopwerk.nl.",
    ),
    "private_commissioner": (
        "Stichting Blik op Werk",
        "Wij hebben het Blik op Werk Keurmerk. Blik op Werk behandelt klachten over "
        "keurmerkhouders nadat de eigen klachtenprocedure is doorlopen. Kijk voor de "
        "werkwijze op www.blikopwerk.nl.",
    ),
    "municipality": (
        "de directie van IMK",
        "Als opdrachtgever kunt u de beslissing voorleggen aan onze directie, in het "
        "overleg over de uitvoering van de opdracht of schriftelijk. Komen wij er samen niet "
        "uit, dan geldt de regeling voor geschillen in de overeenkomst. Daarnaast kunt u "
        "zich wenden tot Stichting Blik op Werk (www.blikopwerk.nl).",
    ),
    "uwv": (
        "de directie van IMK",
        "Als opdrachtgever kunt u de beslissing voorleggen aan onze directie, in het "
        "overleg over de uitvoering van de opdracht of schriftelijk. Komen wij er samen niet "
        "uit, dan geldt de regeling voor geschillen in de overeenkomst. Daarnaast kunt u "
        "zich wenden tot Stichting Blik op Werk (www.blikopwerk.nl).",
    ),
    "company": (
        "de directie van IMK",
        "Als opdrachtgever kunt u de beslissing voorleggen aan onze directie, in het "
        "overleg over de uitvoering van de opdracht of schriftelijk. Komen wij er samen niet "
        "uit, dan geldt de regeling voor geschillen in de overeenkomst. Daarnaast kunt u "
        "zich wenden tot Stichting Blik op Werk (www.blikopwerk.nl).",
    ),
}
