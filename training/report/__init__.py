"""The exploratory data analysis report of an ingested dataset (HTML + PNG figures)."""
