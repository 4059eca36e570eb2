/*
 * iceagent.c - see iceagent.h.
 *
 * A thin owner of one NiceAgent: it keeps the stream id, publishes the
 * component state and the selected pair's transport as atomics for the API,
 * and turns libnice's signals into the two callbacks an endpoint needs. Its
 * log lines keep the "endpoint" module tag: they describe the participant,
 * and the logs read the same as before the agent had a file of its own.
 */
#include "iceagent.h"
#include "mcu/config.h"
#include "base/err.h"
#include "base/log.h"
#include "transport.h"

#include <agent.h>
#include <interfaces.h>
#include <glib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct iceagent {
	GMainContext *ctx;          /* the transport thread's; borrowed */
	NiceAgent *agent;
	guint stream_id;
	struct iceagent_callbacks cb;
	char tag[160];              /* "room=... ep=..." for logs */

	/* Published for other threads. */
	_Atomic int state;          /* NiceComponentState */
	_Atomic int transport;      /* NiceCandidateTransport + 1 of the pair; 0: none */
};

/* libnice's receive callback: one datagram, on the transport thread. */
static void on_datagram(NiceAgent *agent, guint stream_id, guint component_id,
			guint len, gchar *buf, gpointer data)
{
	(void)agent, (void)stream_id, (void)component_id;
	struct iceagent *a = data;
	a->cb.recv(a->cb.user, (const uint8_t *)buf, len);
}

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
			     NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
	(void)agent, (void)stream_id, (void)component_id;
	struct iceagent *a = data;
	atomic_store(&a->transport, (int)local->transport + 1);
	char laddr[NICE_ADDRESS_STRING_LEN], raddr[NICE_ADDRESS_STRING_LEN];
	nice_address_to_string(&local->addr, laddr);
	nice_address_to_string(&remote->addr, raddr);
	LOG_I("endpoint", "%s selected pair %s %s:%u <-> %s:%u", a->tag,
	      local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp", laddr,
	      nice_address_get_port(&local->addr), raddr, nice_address_get_port(&remote->addr));
}

static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id,
			       guint state, gpointer data)
{
	(void)agent, (void)stream_id, (void)component_id;
	struct iceagent *a = data;
	atomic_store(&a->state, (int)state);
	enum log_level level = state == NICE_COMPONENT_STATE_FAILED ? LOG_WARN : LOG_INFO;
	log_msg(level, "endpoint", "%s ICE %s", a->tag, nice_component_state_to_string(state));
	if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY)
		a->cb.ready(a->cb.user);
}

/* Adds the configured addresses (or every interface's) as host candidates. */
static int add_local_addresses(struct iceagent *a, const struct config *cfg)
{
	int added = 0;
	if (cfg->ice_addresses[0]) {
		gchar **parts = g_strsplit(cfg->ice_addresses, ",", -1);
		for (gchar **p = parts; *p; p++) {
			NiceAddress addr;
			g_strstrip(*p);
			if (!**p)
				continue;
			if (!nice_address_set_from_string(&addr, *p)) {
				LOG_W("endpoint", "ice_addresses: '%s' is not an IP address", *p);
				continue;
			}
			added += nice_agent_add_local_address(a->agent, &addr) ? 1 : 0;
		}
		g_strfreev(parts);
		return added;
	}
	GList *ips = nice_interfaces_get_local_ips(TRUE);
	for (GList *i = ips; i; i = i->next) {
		NiceAddress addr;
		if (nice_address_set_from_string(&addr, i->data))
			added += nice_agent_add_local_address(a->agent, &addr) ? 1 : 0;
	}
	g_list_free_full(ips, g_free);
	return added;
}

/* Everything up to gathering; a->agent is set first so that a failure
 * leaves something iceagent_destroy can take apart. */
static int start_agent(struct iceagent *a, const struct config *cfg)
{
	/* Not libnice's CONSENT_FRESHNESS: it fails a pair 10 s after the last
	 * answered check (one per 4-6 s, never resent). Keepalive checks are
	 * the same requests and fail only after 50 s; consent expires at
	 * media_timeout_s (the endpoint's gone, participant.h). No UPnP: no router search anywhere. */
	a->agent = nice_agent_new_full(a->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
	if (!a->agent)
		return MCU_ENOMEM;
	g_object_set(a->agent, "controlling-mode", FALSE, "ice-tcp", (gboolean)cfg->ice_tcp,
		     "upnp", FALSE, "keepalive-conncheck", TRUE, NULL);
	if (add_local_addresses(a, cfg) == 0)
		return MCU_EIO;
	a->stream_id = nice_agent_add_stream(a->agent, 1);
	if (!a->stream_id)
		return MCU_ENOMEM;
	if (cfg->ice_port_min > 0 && cfg->ice_port_max >= cfg->ice_port_min)
		nice_agent_set_port_range(a->agent, a->stream_id, 1, (guint)cfg->ice_port_min,
					  (guint)cfg->ice_port_max);
	g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(on_component_state), a);
	g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), a);
	if (!nice_agent_attach_recv(a->agent, a->stream_id, 1, a->ctx, on_datagram, a))
		return MCU_EIO;
	if (!nice_agent_gather_candidates(a->agent, a->stream_id))
		return MCU_EIO;
	return 0;
}

int iceagent_create(GMainContext *ctx, const struct config *cfg, const char *log_tag,
		    const struct iceagent_callbacks *cb, struct iceagent **out)
{
	struct iceagent *a = calloc(1, sizeof(*a));
	if (!a)
		return MCU_ENOMEM;
	a->ctx = ctx;
	a->cb = *cb;
	snprintf(a->tag, sizeof(a->tag), "%s", log_tag);
	int rc = start_agent(a, cfg);
	if (rc) {
		iceagent_destroy(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* On the agent's thread: after it no callback of libnice can reach a. */
static void teardown_on_thread(void *arg)
{
	struct iceagent *a = arg;
	if (a->stream_id)
		nice_agent_attach_recv(a->agent, a->stream_id, 1, a->ctx, NULL, NULL);
	g_signal_handlers_disconnect_by_data(a->agent, a);
	g_object_unref(a->agent);
	a->agent = NULL;
}

void iceagent_destroy(struct iceagent *a)
{
	if (!a)
		return;
	if (a->agent)
		transport_call_sync(a->ctx, teardown_on_thread, a);
	free(a);
}

int iceagent_set_remote_credentials(struct iceagent *a, const char *ufrag, const char *pwd)
{
	return nice_agent_set_remote_credentials(a->agent, a->stream_id, ufrag, pwd) ? 0 : MCU_EPROTO;
}

int iceagent_add_remote_candidates(struct iceagent *a, const char *const *values, int n, int end)
{
	GSList *list = NULL;
	for (int i = 0; i < n; i++) {
		gchar *line = g_strconcat("a=", values[i], NULL);
		NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(a->agent, a->stream_id, line);
		g_free(line);
		if (!c) {
			LOG_D("endpoint", "%s skipped candidate '%s'", a->tag, values[i]);
			continue;
		}
		list = g_slist_append(list, c);
	}
	int added = 0;
	if (list) {
		added = nice_agent_set_remote_candidates(a->agent, a->stream_id, 1, list);
		g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	}
	if (end)
		nice_agent_peer_candidate_gathering_done(a->agent, a->stream_id);
	return added < 0 ? 0 : added;
}

int iceagent_restart(struct iceagent *a, const char *ufrag, const char *pwd)
{
	if (!nice_agent_restart_stream(a->agent, a->stream_id) ||
	    !nice_agent_set_remote_credentials(a->agent, a->stream_id, ufrag, pwd))
		return MCU_EIO;
	return 0;
}

int iceagent_local_credentials(struct iceagent *a, char ufrag[ICEAGENT_CREDENTIAL_LEN],
			       char pwd[ICEAGENT_CREDENTIAL_LEN])
{
	gchar *lu = NULL, *lp = NULL;
	if (!nice_agent_get_local_credentials(a->agent, a->stream_id, &lu, &lp))
		return MCU_EIO;
	snprintf(ufrag, ICEAGENT_CREDENTIAL_LEN, "%s", lu);
	snprintf(pwd, ICEAGENT_CREDENTIAL_LEN, "%s", lp);
	g_free(lu);
	g_free(lp);
	return 0;
}

/* Writes the "candidate:..." value of a libnice candidate, optionally with
 * its address replaced. Returns 0 or MCU_EINVAL. */
static int format_candidate(struct iceagent *a, NiceCandidate *c, const char *addr_override,
			    char *out, size_t size)
{
	NiceCandidate copy = *c;
	if (addr_override) {
		guint port = nice_address_get_port(&c->addr);
		if (!nice_address_set_from_string(&copy.addr, addr_override))
			return MCU_EINVAL;
		nice_address_set_port(&copy.addr, port);
	}
	gchar *line = nice_agent_generate_local_candidate_sdp(a->agent, &copy);
	if (!line)
		return MCU_EINVAL;
	const char *value = g_str_has_prefix(line, "a=") ? line + 2 : line;
	int n = snprintf(out, size, "%s", value);
	g_free(line);
	return n > 0 && (size_t)n < size ? 0 : MCU_EINVAL;
}

int iceagent_local_candidates(struct iceagent *a, const char *public_ip,
			      char (*out)[ICEAGENT_CANDIDATE_LEN], int max)
{
	int n = 0;
	GSList *cands = nice_agent_get_local_candidates(a->agent, a->stream_id, 1);
	for (GSList *i = cands; i; i = i->next) {
		NiceCandidate *c = i->data;
		/* Our TCP candidates are passive: the browser connects to them.
		 * The active ones (no port) are only for the agent's own use. */
		if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP &&
		    c->transport != NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
			continue;
		if (public_ip && public_ip[0] && n < max &&
		    !format_candidate(a, c, public_ip, out[n], ICEAGENT_CANDIDATE_LEN))
			n++;
		if (n < max && !format_candidate(a, c, NULL, out[n], ICEAGENT_CANDIDATE_LEN))
			n++;
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	return n;
}

int iceagent_send(struct iceagent *a, const uint8_t *buf, size_t len)
{
	return nice_agent_send(a->agent, a->stream_id, 1, (guint)len, (const gchar *)buf);
}

const char *iceagent_state_name(const struct iceagent *a)
{
	switch (atomic_load(&a->state)) {
	case NICE_COMPONENT_STATE_DISCONNECTED: return "new";
	case NICE_COMPONENT_STATE_GATHERING: return "gathering";
	case NICE_COMPONENT_STATE_CONNECTING: return "connecting";
	case NICE_COMPONENT_STATE_CONNECTED: return "connected";
	case NICE_COMPONENT_STATE_READY: return "ready";
	case NICE_COMPONENT_STATE_FAILED: return "failed";
	default: return "unknown";
	}
}

const char *iceagent_transport_name(const struct iceagent *a)
{
	int transport = atomic_load(&a->transport);
	return !transport ? "" : transport - 1 == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
}
