"""API FICOBA (fichier des comptes bancaires et assimilés), /fcb-masrestit/api/v2."""
