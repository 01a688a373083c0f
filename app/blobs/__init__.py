"""Raw documents, kept once by their sha256 with the media type they arrived with."""
