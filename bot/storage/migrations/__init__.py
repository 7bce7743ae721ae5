"""ScamWise's Alembic migrations, shipped inside the package (see bot/storage/migrate.py)."""
