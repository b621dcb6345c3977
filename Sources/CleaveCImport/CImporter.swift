// Placeholder; replaced by the C importer.
