"""Stage 3: from findings to the result: which sets a finding counts against, the verdict under the
requirements, the report's figures and the findings' fingerprints."""
