"""The package version (the results record it with the git commit: ``model.outputs.files``)."""

__version__ = "0.1.0"
