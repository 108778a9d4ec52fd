"""Reports for supervisors: counts over a date range and an anonymised CSV per case."""
