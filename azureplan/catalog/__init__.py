"""The catalog: products, SKUs and availabilities as sold per country, the offer comparison and the Azure roles.

Reference data (the same for every partner), loaded from azureplan/data by migrations and commands."""
