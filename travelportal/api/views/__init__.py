"""The API's viewsets, one module per resource family; ``base`` holds what they share."""
