"""Personal data as UK GDPR expects: retention, subject access and erasure."""
