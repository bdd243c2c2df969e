"""Child and family voice records."""
