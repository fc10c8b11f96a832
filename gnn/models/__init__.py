"""The models: one module per model or peer, the interface they share (``base``) and the registry that names them."""
