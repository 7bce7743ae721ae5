"""Semantic and lexical search over the knowledge base: encoders, the vector index, retrieval."""
