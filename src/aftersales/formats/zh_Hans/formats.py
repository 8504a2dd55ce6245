"""Simplified Chinese: counts and amounts grouped by thousands with a comma (591,477), as Chinese
business reports and finance systems write them; Django's default groups by four with no separator."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
