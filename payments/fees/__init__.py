"""Fee sync: Stripe's fees and nets from balance transactions, its health and repair."""
