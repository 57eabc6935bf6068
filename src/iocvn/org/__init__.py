"""Organisation: the province, its communes and wards, and its agencies (sở, ban, ngành)."""
