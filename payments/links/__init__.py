"""Payment links: the seller's editor and the links buyers pay through."""
