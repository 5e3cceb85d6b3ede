"""Operations on the database for the web and the CLI: they flush, the caller commits."""
