"""Dashboard pages of accounts: one module per area, one small view per POST action."""
