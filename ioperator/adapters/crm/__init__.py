"""CRM and booking systems. Importing this package registers every CRM provider."""
