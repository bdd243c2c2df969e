"""Front-line visits: scrutiny visits, safeguarding conversations and practitioner forums."""
