"""Shared CPE domain: file naming, ZIP packaging, XML signature, schemas and SUNAT's code catalog."""
