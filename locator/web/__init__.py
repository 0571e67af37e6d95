"""Flask blueprints, one file each; they parse requests, call the core and render."""
