"""Capricorn's adapters: ORM tables and mapping, repositories, brokers, the artifact store."""
