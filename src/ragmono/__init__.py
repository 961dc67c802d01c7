"""ragmono: one async process that ingests documents and answers questions over them."""

__version__ = "0.1.0"
