"""The pages people use: one blueprint per user area."""
