"""Matching blobs and faces against known sets: exact hashes, PDQ and face embeddings."""
