// SPDX-License-Identifier: Apache-2.0
// The XDP agent's window into the kernel (docs/xdp.md "Why a native addon"): a Node-API module over
// libbpf that opens and loads a BPF object (throwing the verifier's log when the kernel refuses it),
// attaches its program to an interface as a bpf_link (so the program goes away with the process, even
// after kill -9), and reads and writes maps with plain bpf syscalls. It holds no policy: every decision
// is in the TypeScript agent (src/sequencer/xdp/).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <node_api.h>

/* libbpf's messages since the last open/load, the verifier log among them; the tail is kept if it overflows. */
#define LOG_BYTES_MAX (256 * 1024)
static char log_text[LOG_BYTES_MAX];
static size_t log_used;

static int capture(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG || log_used >= LOG_BYTES_MAX - 1)
		return 0;
	int n = vsnprintf(log_text + log_used, LOG_BYTES_MAX - log_used, format, args);
	if (n > 0)
		log_used += (size_t)n < LOG_BYTES_MAX - log_used ? (size_t)n : LOG_BYTES_MAX - 1 - log_used;
	return 0;
}

static napi_value fail(napi_env env, const char *what, int err)
{
	char message[LOG_BYTES_MAX + 256];
	snprintf(message, sizeof(message), "%s: %s%s%.*s", what, strerror(err < 0 ? -err : err), log_used > 0 ? "\n" : "",
		 (int)log_used, log_text);
	napi_throw_error(env, NULL, message);
	return NULL;
}

static int arg_u32(napi_env env, napi_value value, uint32_t *out)
{
	return napi_get_value_uint32(env, value, out) == napi_ok ? 0 : -1;
}

/* The call's first `wanted` arguments into argv; -1 if there are fewer. */
static int args(napi_env env, napi_callback_info info, size_t wanted, napi_value *argv)
{
	size_t argc = wanted;
	return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= wanted ? 0 : -1;
}

static int arg_string(napi_env env, napi_value value, char *out, size_t size)
{
	return napi_get_value_string_utf8(env, value, out, size, NULL) == napi_ok ? 0 : -1;
}

static int arg_buffer(napi_env env, napi_value value, void **data, size_t *length)
{
	return napi_get_buffer_info(env, value, data, length) == napi_ok ? 0 : -1;
}

static napi_value number(napi_env env, int64_t value)
{
	napi_value out;
	napi_create_int64(env, value, &out);
	return out;
}

static napi_value boolean(napi_env env, int value)
{
	napi_value out;
	napi_get_boolean(env, value, &out);
	return out;
}

static struct bpf_object *object_of(napi_env env, napi_value value)
{
	void *object = NULL;
	napi_get_value_external(env, value, &object);
	return object;
}

/* Sets max_entries of every map named in `sizes` ({name: entries}) before the object is loaded. */
static int size_maps(napi_env env, struct bpf_object *object, napi_value sizes)
{
	napi_value names;
	uint32_t count = 0;
	if (napi_get_property_names(env, sizes, &names) != napi_ok || napi_get_array_length(env, names, &count) != napi_ok)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		napi_value name_value, entries_value;
		char name[256];
		uint32_t entries;
		if (napi_get_element(env, names, i, &name_value) != napi_ok ||
		    arg_string(env, name_value, name, sizeof(name)) ||
		    napi_get_property(env, sizes, name_value, &entries_value) != napi_ok || arg_u32(env, entries_value, &entries))
			return -EINVAL;
		struct bpf_map *map = bpf_object__find_map_by_name(object, name);
		if (!map)
			return -ENOENT;
		int err = bpf_map__set_max_entries(map, entries);
		if (err)
			return err;
	}
	return 0;
}

/* open(path, sizes): loads every program and map of the object, the maps named in `sizes` with that many
 * entries; throws with libbpf's and the verifier's log. */
static napi_value open_object(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char path[4096];
	if (args(env, info, 2, argv) || arg_string(env, argv[0], path, sizeof(path)))
		return fail(env, "open(path, sizes)", EINVAL);
	log_used = 0;
	struct bpf_object *object = bpf_object__open_file(path, NULL);
	int err = libbpf_get_error(object);
	if (err)
		return fail(env, "cannot open the BPF object", err);
	err = size_maps(env, object, argv[1]);
	if (err) {
		bpf_object__close(object);
		return fail(env, "cannot size the BPF maps", err);
	}
	err = bpf_object__load(object);
	if (err) {
		bpf_object__close(object);
		return fail(env, "the kernel refused the BPF program", err);
	}
	napi_value out;
	napi_create_external(env, object, NULL, NULL, &out);
	return out;
}

static napi_value close_object(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (args(env, info, 1, argv) == 0)
		bpf_object__close(object_of(env, argv[0]));
	return NULL;
}

/* mapFd(object, name) */
static napi_value map_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char name[256];
	if (args(env, info, 2, argv) || arg_string(env, argv[1], name, sizeof(name)))
		return fail(env, "mapFd(object, name)", EINVAL);
	int fd = bpf_object__find_map_fd_by_name(object_of(env, argv[0]), name);
	return fd < 0 ? fail(env, name, fd) : number(env, fd);
}

/* attach(object, program, ifindex, native): a bpf_link; closing its fd detaches the program. */
static napi_value attach(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	char name[256];
	uint32_t ifindex;
	bool native;
	if (args(env, info, 4, argv) || arg_string(env, argv[1], name, sizeof(name)) ||
	    arg_u32(env, argv[2], &ifindex) || napi_get_value_bool(env, argv[3], &native) != napi_ok)
		return fail(env, "attach(object, program, ifindex, native)", EINVAL);
	struct bpf_program *program = bpf_object__find_program_by_name(object_of(env, argv[0]), name);
	if (!program)
		return fail(env, name, ENOENT);
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = bpf_link_create(bpf_program__fd(program), (int)ifindex, BPF_XDP, &opts);
	return fd < 0 ? fail(env, "cannot attach the XDP program", fd) : number(env, fd);
}

static napi_value close_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	uint32_t fd;
	if (args(env, info, 1, argv) == 0 && arg_u32(env, argv[0], &fd) == 0)
		close((int)fd);
	return NULL;
}

/* lookup(fd, key, value, flags) and update(fd, key, value, flags): Buffers sized to the map's layout. */
static napi_value map_op(napi_env env, napi_callback_info info, int update)
{
	napi_value argv[4];
	uint32_t fd, flags;
	void *key, *value;
	size_t key_bytes, value_bytes;
	if (args(env, info, 4, argv) || arg_u32(env, argv[0], &fd) || arg_buffer(env, argv[1], &key, &key_bytes) ||
	    arg_buffer(env, argv[2], &value, &value_bytes) || arg_u32(env, argv[3], &flags))
		return fail(env, "map operation(fd, key, value, flags)", EINVAL);
	log_used = 0;
	int err = update ? bpf_map_update_elem((int)fd, key, value, flags) : bpf_map_lookup_elem_flags((int)fd, key, value, flags);
	if (err && errno == ENOENT && !update)
		return boolean(env, 0);
	return err ? fail(env, update ? "map update" : "map lookup", errno) : boolean(env, 1);
}

static napi_value lookup(napi_env env, napi_callback_info info)
{
	return map_op(env, info, 0);
}

static napi_value update(napi_env env, napi_callback_info info)
{
	return map_op(env, info, 1);
}

static napi_value possible_cpus(napi_env env, napi_callback_info info)
{
	(void)info;
	int n = libbpf_num_possible_cpus();
	return n < 0 ? fail(env, "possible CPUs", n) : number(env, n);
}

static napi_value init(napi_env env, napi_value exports)
{
	libbpf_set_print(capture);
	napi_property_descriptor functions[] = {
		{ "open", NULL, open_object, NULL, NULL, NULL, napi_default, NULL },
		{ "close", NULL, close_object, NULL, NULL, NULL, napi_default, NULL },
		{ "mapFd", NULL, map_fd, NULL, NULL, NULL, napi_default, NULL },
		{ "attach", NULL, attach, NULL, NULL, NULL, napi_default, NULL },
		{ "closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL },
		{ "lookup", NULL, lookup, NULL, NULL, NULL, napi_default, NULL },
		{ "update", NULL, update, NULL, NULL, NULL, napi_default, NULL },
		{ "possibleCpus", NULL, possible_cpus, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
