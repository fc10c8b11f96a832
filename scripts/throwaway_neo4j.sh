# Sourced by scripts/test.sh and scripts/test_neo4j_line.sh: start a throw-away local Neo4j and stop it (and delete
# its home) when the calling script exits, whatever happens.
#
#   throwaway_neo4j NAME BOLT_PORT HTTP_PORT [VERSION]
#
# Exports NEO4J_URI, NEO4J_USERNAME, NEO4J_DATABASE, NEO4J_PASSWORD (a random one unless set) and THROWAWAY_HOME
# (the server home). VERSION: the Neo4j version (default: movierec's, MOVIEREC_NEO4J_VERSION).
throwaway_neo4j() {
  local name=$1 bolt=$2 http=$3 version=${4:-}
  THROWAWAY_ROOT=$(mktemp -d -t "movierec-$name-XXXXXX")
  export THROWAWAY_HOME="$THROWAWAY_ROOT/neo4j"
  trap 'movierec neo4j stop --home "$THROWAWAY_HOME" || true; rm -rf "$THROWAWAY_ROOT"' EXIT
  export NEO4J_PASSWORD="${NEO4J_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')}"
  echo "== neo4j ${version:-(default version)}"
  if [ -n "$version" ]; then
    MOVIEREC_NEO4J_VERSION="$version" movierec neo4j start --home "$THROWAWAY_HOME" --bolt-port "$bolt" --http-port "$http"
  else
    movierec neo4j start --home "$THROWAWAY_HOME" --bolt-port "$bolt" --http-port "$http"
  fi
  export NEO4J_URI="bolt://127.0.0.1:$bolt" NEO4J_USERNAME=neo4j NEO4J_DATABASE=neo4j
}
