"""Acting on domains: typed requests → validated, confirmed, journaled xl commands."""
