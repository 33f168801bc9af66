module wsgw-bench-peer-go

go 1.19

require (
	github.com/golang-jwt/jwt/v4 v4.4.3
	github.com/gomodule/redigo v1.8.3
	github.com/gorilla/websocket v1.5.0
)

// Built offline from Debian's packages (bench/peers/install.sh installs them).
replace (
	github.com/golang-jwt/jwt/v4 => /usr/share/gocode/src/github.com/golang-jwt/jwt
	github.com/gomodule/redigo => /usr/share/gocode/src/github.com/gomodule/redigo
	github.com/gorilla/websocket => /usr/share/gocode/src/github.com/gorilla/websocket
)
