// Package web holds the files the server embeds: the hand-written OpenAPI
// document of the JSON API, and the site's templates and static files.
package web

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the JSON API under /api/v1. It is
// written by hand and is the contract: the server serves it at
// GET /api/v1/openapi.json, and package internal/apitest validates every
// response the tests receive against it.
//
//go:embed openapi.json
var OpenAPI []byte
