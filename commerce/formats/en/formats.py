"""How every page, e-mail and PDF writes a date and a time: "Dec 4, 2026", "12:47 PM".

Templates use `|date`, `|time` and `|date:"DATETIME_FORMAT"`; a test walks the templates
so no other format creeps in. Input formats are Django's own.
"""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "M j, Y, g:i A"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "M Y"
