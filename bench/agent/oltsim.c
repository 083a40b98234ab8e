/*
 * oltsim.c -- net-snmp dlmod module serving an snmprec file from memory.
 *
 * Load it into snmpd with:
 *
 *     dlmod oltsim /abs/path/oltsim.so
 *     oltsimFile /abs/path/data.snmprec      (or env OLTSIM_FILE)
 *     oltsimContext NAME                      (optional; default: "" = default context)
 *
 * The snmprec file ("oid|tag|value" per line; tags 2, 4, 4x, 6, 64, 65, 66, 67,
 * 70, and an "x" suffix on any tag meaning the value is hex) is parsed after
 * snmpd has read its configuration, sorted by OID, and served by a single
 * handler doing a binary search for GET and GETNEXT.  GETBULK is split into
 * GETNEXTs by the bulk_to_next helper that netsnmp_register_handler() injects
 * because the registration does not claim HANDLER_CAN_GETBULK.
 *
 * Registrations: in the default context the handler is registered at
 * .1.3.6.1.2.1 and .1.3.6.1.4.1 (and at the 5-arc prefix of any other OID)
 * with priority 1, so it shadows snmpd's own MIB modules (default priority
 * 127) inside those trees.  With oltsimContext NAME it is registered in that
 * SNMP context only (map a community to it with "com2sec -Cn NAME ...").
 */

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    oid        *name;
    size_t      name_len;
    u_char      type;
    void       *val;
    size_t      val_len;
    size_t      seq;            /* line order: the last duplicate wins */
} oltsim_entry;

static oltsim_entry *entries = NULL;
static size_t        n_entries = 0;
static char         *data_file = NULL;
static char         *context_name = NULL;

#define MAX_ROOTS 16
static netsnmp_handler_registration *regs[MAX_ROOTS];
static int           n_regs = 0;

/* ------------------------------------------------------------------ parse */

static int
parse_oid(const char *s, oid *out, size_t *out_len)
{
    size_t n = 0;
    const char *p = s;
    if (*p == '.')
        p++;
    while (*p) {
        char *end;
        unsigned long v;
        if (!isdigit((unsigned char) *p) || n >= MAX_OID_LEN)
            return -1;
        errno = 0;
        v = strtoul(p, &end, 10);
        if (errno || v > 0xFFFFFFFFUL)
            return -1;
        out[n++] = (oid) v;
        p = end;
        if (*p == '.')
            p++;
        else if (*p)
            return -1;
    }
    *out_len = n;
    return n ? 0 : -1;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* decode hex (whitespace tolerated) into a new buffer */
static u_char *
parse_hex(const char *s, size_t *len)
{
    size_t cap = strlen(s) / 2 + 1, n = 0;
    u_char *buf = malloc(cap);
    int hi = -1;
    if (!buf)
        return NULL;
    for (; *s; s++) {
        int v;
        if (isspace((unsigned char) *s) || *s == ':')
            continue;
        v = hexval(*s);
        if (v < 0) { free(buf); return NULL; }
        if (hi < 0) hi = v;
        else { buf[n++] = (u_char) (hi << 4 | v); hi = -1; }
    }
    if (hi >= 0) { free(buf); return NULL; }
    *len = n;
    return buf;
}

static void *
memdup(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* Fill e->type/val/val_len from an snmprec tag and value; 0 on success. */
static int
parse_value(oltsim_entry *e, const char *tag, const char *value)
{
    char   *end;
    int     hex = 0;
    long    t;
    size_t  tl = strlen(tag);
    u_char *raw = NULL;
    size_t  raw_len = 0;

    if (tl > 1 && (tag[tl - 1] == 'x' || tag[tl - 1] == 'X'))
        hex = 1;
    errno = 0;
    t = strtol(tag, &end, 10);
    if (end == tag || (*end && !(hex && end == tag + tl - 1)))
        return -1;
    if (hex) {
        raw = parse_hex(value, &raw_len);
        if (!raw)
            return -1;
    }

    switch (t) {
    case 2: {                   /* INTEGER */
        long v;
        if (hex) { free(raw); return -1; }
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno || end == value || *end) return -1;
        e->type = ASN_INTEGER;
        e->val = memdup(&v, sizeof v);
        e->val_len = sizeof v;
        return 0;
    }
    case 4:                     /* OCTET STRING */
        e->type = ASN_OCTET_STR;
        if (hex) { e->val = raw; e->val_len = raw_len; }
        else { e->val_len = strlen(value); e->val = memdup(value, e->val_len); }
        return 0;
    case 6: {                   /* OBJECT IDENTIFIER */
        oid    tmp[MAX_OID_LEN];
        size_t n;
        if (hex) { free(raw); return -1; }
        if (parse_oid(value, tmp, &n) != 0) return -1;
        e->type = ASN_OBJECT_ID;
        e->val = memdup(tmp, n * sizeof(oid));
        e->val_len = n * sizeof(oid);
        return 0;
    }
    case 64: {                  /* IpAddress (dotted quad or 4 hex bytes) */
        struct in_addr a;
        e->type = ASN_IPADDRESS;
        if (hex) {
            if (raw_len != 4) { free(raw); return -1; }
            e->val = raw; e->val_len = 4;
            return 0;
        }
        if (inet_pton(AF_INET, value, &a) != 1) return -1;
        e->val = memdup(&a.s_addr, 4);   /* network byte order, as net-snmp keeps it */
        e->val_len = 4;
        return 0;
    }
    case 65: case 66: case 67: {  /* Counter32, Gauge32, TimeTicks */
        unsigned long v;
        if (hex) { free(raw); return -1; }
        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno || end == value || *end || v > 0xFFFFFFFFUL) return -1;
        e->type = t == 65 ? ASN_COUNTER : t == 66 ? ASN_GAUGE : ASN_TIMETICKS;
        e->val = memdup(&v, sizeof v);
        e->val_len = sizeof v;
        return 0;
    }
    case 70: {                  /* Counter64 */
        unsigned long long v;
        struct counter64 c;
        if (hex) { free(raw); return -1; }
        errno = 0;
        v = strtoull(value, &end, 10);
        if (errno || end == value || *end) return -1;
        c.high = (u_long) (v >> 32);
        c.low = (u_long) (v & 0xFFFFFFFFULL);
        e->type = ASN_COUNTER64;
        e->val = memdup(&c, sizeof c);
        e->val_len = sizeof c;
        return 0;
    }
    default:
        free(raw);
        return -1;
    }
}

static int
entry_cmp(const void *a, const void *b)
{
    const oltsim_entry *x = a, *y = b;
    int c = snmp_oid_compare(x->name, x->name_len, y->name, y->name_len);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
free_entries(void)
{
    size_t i;
    for (i = 0; i < n_entries; i++) {
        free(entries[i].name);
        free(entries[i].val);
    }
    free(entries);
    entries = NULL;
    n_entries = 0;
}

static int
load_file(const char *path)
{
    FILE   *f = fopen(path, "r");
    char   *line = NULL;
    size_t  cap = 0, alloc = 0, lineno = 0, bad = 0, dups = 0, i, w;
    ssize_t len;

    if (!f) {
        snmp_log(LOG_ERR, "oltsim: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    free_entries();
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *tag, *value;
        oid   tmp[MAX_OID_LEN];
        oltsim_entry e;

        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        memset(&e, 0, sizeof e);
        e.seq = lineno;
        tag = strchr(line, '|');
        value = tag ? strchr(tag + 1, '|') : NULL;
        if (value) {
            *tag++ = '\0';
            *value++ = '\0';
        }
        if (!value || parse_oid(line, tmp, &e.name_len) != 0 || parse_value(&e, tag, value) != 0) {
            if (bad < 5)
                snmp_log(LOG_WARNING, "oltsim: %s:%lu: cannot parse, skipped\n",
                         path, (unsigned long) lineno);
            bad++;
            continue;
        }
        e.name = memdup(tmp, e.name_len * sizeof(oid));
        if (n_entries == alloc) {
            alloc = alloc ? alloc * 2 : 4096;
            entries = realloc(entries, alloc * sizeof *entries);
            if (!entries) {
                snmp_log(LOG_ERR, "oltsim: out of memory\n");
                fclose(f);
                free(line);
                return -1;
            }
        }
        entries[n_entries++] = e;
    }
    free(line);
    fclose(f);

    qsort(entries, n_entries, sizeof *entries, entry_cmp);
    /* drop duplicate OIDs, keeping the last line (sorted last by seq) */
    for (i = 0, w = 0; i < n_entries; i++) {
        if (w > 0 && snmp_oid_compare(entries[w - 1].name, entries[w - 1].name_len,
                                      entries[i].name, entries[i].name_len) == 0) {
            free(entries[w - 1].name);
            free(entries[w - 1].val);
            entries[w - 1] = entries[i];
            dups++;
            continue;
        }
        entries[w++] = entries[i];
    }
    n_entries = w;
    snmp_log(LOG_INFO, "oltsim: loaded %lu objects from %s (%lu bad lines, %lu duplicates)\n",
             (unsigned long) n_entries, path, (unsigned long) bad, (unsigned long) dups);
    return 0;
}

/* ----------------------------------------------------------------- search */

/* first index whose OID is >= (strict=0) or > (strict=1) the given OID */
static size_t
lower_bound(const oid *name, size_t len, int strict)
{
    size_t lo = 0, hi = n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = snmp_oid_compare(entries[mid].name, entries[mid].name_len, name, len);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* does any entry start with this prefix? */
static int
has_prefix(const oid *prefix, size_t len)
{
    size_t i = lower_bound(prefix, len, 0);
    return i < n_entries && entries[i].name_len >= len
        && memcmp(entries[i].name, prefix, len * sizeof(oid)) == 0;
}

/*
 * GET miss: noSuchInstance when the object plausibly exists, i.e. the OID is
 * a prefix of stored OIDs (a column asked without index), or it shares its
 * parent with a stored OID (scalar.N, single-arc table index), or it has the
 * same length as a stored OID not ending in .0 and shares all but the last two
 * arcs (two-arc indexes such as Huawei <ifIndex>.<ontId>); else noSuchObject.
 */
static int
miss_type(const oid *name, size_t len)
{
    size_t i;
    if (has_prefix(name, len))
        return SNMP_NOSUCHINSTANCE;
    if (len >= 2 && has_prefix(name, len - 1))
        return SNMP_NOSUCHINSTANCE;
    if (len >= 3) {
        int budget = 64;        /* bounded scan */
        for (i = lower_bound(name, len - 2, 0);
             i < n_entries && budget-- > 0 && entries[i].name_len >= len - 2
             && memcmp(entries[i].name, name, (len - 2) * sizeof(oid)) == 0; i++) {
            if (entries[i].name_len == len)
                return entries[i].name[len - 1] != 0 ? SNMP_NOSUCHINSTANCE : SNMP_NOSUCHOBJECT;
        }
    }
    return SNMP_NOSUCHOBJECT;
}

static void
set_value(netsnmp_variable_list *vb, const oltsim_entry *e)
{
    snmp_set_var_typed_value(vb, e->type, e->val, e->val_len);
}

static int
oltsim_handler(netsnmp_mib_handler *handler,
               netsnmp_handler_registration *reginfo,
               netsnmp_agent_request_info *reqinfo,
               netsnmp_request_info *requests)
{
    netsnmp_request_info *r;

    for (r = requests; r; r = r->next) {
        netsnmp_variable_list *vb = r->requestvb;
        if (r->processed)
            continue;
        switch (reqinfo->mode) {
        case MODE_GET: {
            size_t i = lower_bound(vb->name, vb->name_length, 0);
            if (i < n_entries && snmp_oid_compare(entries[i].name, entries[i].name_len,
                                                  vb->name, vb->name_length) == 0)
                set_value(vb, &entries[i]);
            else
                netsnmp_set_request_error(reqinfo, r, miss_type(vb->name, vb->name_length));
            break;
        }
        case MODE_GETNEXT: {
            size_t i;
            const oltsim_entry *e;
            /* an OID before this registration's root starts at the root */
            if (snmp_oid_compare(vb->name, vb->name_length,
                                 reginfo->rootoid, reginfo->rootoid_len) < 0)
                i = lower_bound(reginfo->rootoid, reginfo->rootoid_len, 0);
            else
                i = lower_bound(vb->name, vb->name_length, 1);
            if (i >= n_entries)
                break;                     /* nothing after: agent tries the next subtree */
            e = &entries[i];
            /* stay inside this registration ... */
            if (e->name_len < reginfo->rootoid_len
                || memcmp(e->name, reginfo->rootoid, reginfo->rootoid_len * sizeof(oid)) != 0)
                break;
            /* ... and inside the range the agent gave us (split subtrees) */
            if (r->range_end && r->range_end_len
                && snmp_oid_compare(e->name, e->name_len, r->range_end, r->range_end_len) >= 0)
                break;
            snmp_set_var_objid(vb, e->name, e->name_len);
            set_value(vb, e);
            break;
        }
        default:
            netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

/* ----------------------------------------------------------- registration */

static void
unregister_all(void)
{
    int i;
    for (i = 0; i < n_regs; i++)
        netsnmp_unregister_handler(regs[i]);
    n_regs = 0;
}

static int
register_root(const oid *root, size_t root_len)
{
    netsnmp_handler_registration *reg;
    int i, rc;

    for (i = 0; i < n_regs; i++)
        if (snmp_oid_compare(regs[i]->rootoid, regs[i]->rootoid_len, root, root_len) == 0)
            return 0;
    if (n_regs >= MAX_ROOTS) {
        snmp_log(LOG_ERR, "oltsim: too many registration roots\n");
        return -1;
    }
    reg = netsnmp_create_handler_registration("oltsim", oltsim_handler, root, root_len,
                                              HANDLER_CAN_RONLY);
    if (!reg)
        return -1;
    reg->priority = 1;          /* lower number wins over snmpd's modules (127) */
    if (context_name && *context_name)
        reg->contextName = strdup(context_name);
    rc = netsnmp_register_handler(reg);
    if (rc != MIB_REGISTERED_OK) {
        snmp_log(LOG_ERR, "oltsim: registration failed (%d)\n", rc);
        return -1;
    }
    regs[n_regs++] = reg;
    return 0;
}

static const oid mib2[] = { 1, 3, 6, 1, 2, 1 };
static const oid enterprises[] = { 1, 3, 6, 1, 4, 1 };

static void
register_all(void)
{
    size_t i;
    unregister_all();
    for (i = 0; i < n_entries; i++) {
        const oltsim_entry *e = &entries[i];
        if (e->name_len > 6 && memcmp(e->name, mib2, sizeof mib2) == 0)
            register_root(mib2, 6);
        else if (e->name_len > 6 && memcmp(e->name, enterprises, sizeof enterprises) == 0)
            register_root(enterprises, 6);
        else
            register_root(e->name, e->name_len < 5 ? e->name_len : 5);
    }
    if (n_regs == 0)            /* empty file: still answer (endOfMibView everywhere) */
        register_root(enterprises, 6);
    snmp_log(LOG_INFO, "oltsim: %d registration(s) in context \"%s\"\n", n_regs,
             context_name ? context_name : "");
}

static void
conf_file(const char *token, char *line)
{
    free(data_file);
    data_file = strdup(line);
}

static void
conf_context(const char *token, char *line)
{
    free(context_name);
    context_name = strdup(line);
}

static int
post_config(int major, int minor, void *server_arg, void *client_arg)
{
    if (!data_file) {
        snmp_log(LOG_ERR, "oltsim: no data file (oltsimFile token or OLTSIM_FILE)\n");
        return 0;
    }
    if (load_file(data_file) == 0)
        register_all();
    return 0;
}

void
init_oltsim(void)
{
    const char *env = getenv("OLTSIM_FILE");
    if (env && *env)
        data_file = strdup(env);
    env = getenv("OLTSIM_CONTEXT");
    if (env)
        context_name = strdup(env);
    snmpd_register_config_handler("oltsimFile", conf_file, NULL, "PATH to an snmprec file");
    snmpd_register_config_handler("oltsimContext", conf_context, NULL, "SNMP context name");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                           post_config, NULL);
}

void
deinit_oltsim(void)
{
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                             post_config, NULL, 0);
    unregister_all();
    snmpd_unregister_config_handler("oltsimFile");
    snmpd_unregister_config_handler("oltsimContext");
    free_entries();
    free(data_file);
    free(context_name);
    data_file = context_name = NULL;
}
