#!/usr/bin/env bash
#   image.bash build|remove BUILD_DIR: the ctest fixture of the deployment
#   tests (tests/CMakeLists.txt): "build" makes this build's two images once
#   per run (the runtime image of deploy/container/Containerfile and its
#   systemd variant, Containerfile.systemd, tagged after the build
#   directory), "remove" removes them after the last deployment test, pass
#   or fail. The base image (made by deploy/container/setup.sh) stays.
#   SKIP (exit 0) when podman cannot run a container: the tests skip too.
mode=${1:?usage: image.bash build|remove BUILD_DIR}
shift
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib.bash"
case "$mode" in
    build)
        deploy_require
        t0=$SECONDS
        podman rmi -f "$DEPLOY_SYSTEMD_IMAGE" "$DEPLOY_IMAGE" > /dev/null 2>&1
        deploy_build "$DEPLOY_IMAGE" Containerfile \
            && pass "built $DEPLOY_IMAGE ($((SECONDS - t0)) s)" \
            || { fail "podman build -f deploy/container/Containerfile"; finish; }
        t0=$SECONDS
        deploy_build "$DEPLOY_SYSTEMD_IMAGE" Containerfile.systemd --build-arg "IMAGE=$DEPLOY_IMAGE" \
            && pass "built $DEPLOY_SYSTEMD_IMAGE ($((SECONDS - t0)) s)" \
            || fail "podman build -f deploy/container/Containerfile.systemd"
        ;;
    remove)
        command -v podman > /dev/null || { echo "SKIP: podman is not installed"; exit 0; }
        podman rmi -f "$DEPLOY_SYSTEMD_IMAGE" "$DEPLOY_IMAGE" > /dev/null 2>&1
        check "images of this build removed" \
            bash -c "! podman image exists '$DEPLOY_IMAGE' && ! podman image exists '$DEPLOY_SYSTEMD_IMAGE'"
        ;;
    *) echo "usage: image.bash build|remove BUILD_DIR"; exit 2 ;;
esac
finish
