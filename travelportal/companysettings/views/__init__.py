"""Company Settings pages, one module per settings area."""
