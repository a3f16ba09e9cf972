"""osemock: a mock OSE/SUNAT billService and a conformance kit for Peru's electronic invoicing."""

__version__ = "0.1.0"
