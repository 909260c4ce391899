#!/usr/bin/env bash
# tests/reliability/valgrind-berth.sh - stands in for berth when BERTH_BIN
# points here: runs $BERTH_BUILD_DIR/berth under valgrind's memcheck with
# every definite or indirect leak and every memory error counted as an
# error, one log per process in $BERTH_VALGRIND_DIR (vg.PID.log).
# scripts/check.sh runs the integration suite through it once and then
# reads the logs (tests/reliability/valgrind-report.sh).
#
# Called as docker-credential-berth (argv[0], as the helper is), it runs a
# link of that name, since valgrind cannot set the client's argv[0].
: "${BERTH_BUILD_DIR:?}" "${BERTH_VALGRIND_DIR:?}"
bin=$BERTH_BUILD_DIR/berth
mkdir -p "$BERTH_VALGRIND_DIR"
case ${0##*/} in
docker-credential-*)
	link=$BERTH_VALGRIND_DIR/bin/${0##*/}
	mkdir -p "${link%/*}"
	[ -e "$link" ] || ln -sf "$bin" "$link"
	bin=$link
	;;
esac
exec valgrind --quiet --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--log-file="$BERTH_VALGRIND_DIR/vg.%p.log" "$bin" "$@"
