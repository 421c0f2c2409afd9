"""The ledger: payments, refunds and disputes, and the payments tool that shows them."""
