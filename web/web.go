// Package web holds the files the server embeds: the hand-written OpenAPI
// document of the JSON API, and the site's templates and static files.
package web

import (
	"embed"
	"io/fs"
)

// OpenAPI is the OpenAPI 3.1 document of the JSON API under /api/v1. It is
// written by hand and is the contract: the server serves it at
// GET /api/v1/openapi.json, and package internal/apitest validates every
// response the tests receive against it.
//
//go:embed openapi.json
var OpenAPI []byte

//go:embed templates/*.html templates/mail/* static
var files embed.FS

// FS holds the page templates under templates/ (html/template files, one per
// page plus the layout and shared partials whose names start with "_") and
// the static assets under static/ (CSS, the small enhancement script, the
// logo). internal/http parses and serves them; see its templates.go and static.go.
var FS fs.FS = files
