"""One module per import format; works.imports.registry lists them."""
