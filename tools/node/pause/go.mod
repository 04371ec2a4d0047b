module moop.local/node/pause

go 1.26.0
