"""Stage 1: reading an export as the profile's canonical tables (readers, sources, a vendor's mapping,
buckets of whole persons, the canonical data package) and a buyer's requirements file."""
