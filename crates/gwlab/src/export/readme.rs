//! README.md: the lab's runbook.

use std::fmt::Write;

use super::input::ExportInput;
use super::plan::Plan;
use super::quote::{inline, sh};
use super::versions::Versions;
use super::{cap_note, MAX_VERIFY_CASES};

fn code(s: &str) -> String {
    format!("`{}`", inline(s).replace('|', "\\|"))
}

pub fn readme(
    input: &ExportInput,
    plan: &Plan,
    versions: &Versions,
    user_files: &[String],
) -> String {
    let mut s = String::new();
    s.push_str(
        "# gwlab lab: check the simulator's predictions on a real cluster\n\n\
         This bundle creates a local [kind](https://kind.sigs.k8s.io/) cluster, installs Envoy Gateway with Helm, applies \
         your manifests and sends every request gwlab predicted an answer for, comparing what really comes back with \
         the prediction.\n\n",
    );
    let _ = writeln!(s, "Version set `{}`:\n", versions.name);
    s.push_str("| component | version |\n|---|---|\n");
    let _ = writeln!(s, "| kind node image | `{}` |", versions.kind_node_image);
    let _ = writeln!(
        s,
        "| Envoy Gateway (Helm chart `oci://docker.io/envoyproxy/gateway-helm`) | `{}` |",
        versions.envoy_gateway
    );
    let _ = writeln!(
        s,
        "| Gateway API CRDs (installed by the Envoy Gateway chart) | `{}` |",
        versions.gateway_api
    );
    if plan.cert_manager {
        let _ = writeln!(
            s,
            "| cert-manager (Helm chart `jetstack/cert-manager`) | `{}` |",
            versions.cert_manager
        );
    }
    let _ = writeln!(s, "| test backend | `{}` |", versions.echo_image);

    s.push_str(
        "\n## Prerequisites\n\n\
         - Docker (rootful Docker or Docker Desktop; the cluster needs about 4 GB of memory)\n\
         - kind v0.27 or later\n\
         - kubectl within one minor version of the node image\n\
         - Helm 3.8 or later (OCI charts)\n\
         - curl and jq (verify.sh reads the backend's JSON answers with jq)\n\n\
         `install.sh` checks for each tool and prints its version before it changes anything.\n\n\
         ## Three commands\n\n\
         ```sh\n./install.sh   # create the cluster and install everything (safe to run again)\n\
         ./verify.sh    # check every prediction: PASS/FAIL per request, then `N passed, M failed`\n\
         ./cleanup.sh   # delete the cluster\n```\n\n\
         All three use the kind cluster `gwlab` (context `kind-gwlab`); set `GWLAB_CLUSTER` to use another name.\n\n\
         ## What install.sh does\n\n\
         1. **Preflight**: docker, kind, kubectl, helm, jq and curl are on PATH and the Docker daemon answers.\n\
         2. **Cluster**: `kind create cluster` with `kind-config.yaml` (one control plane, two workers, the listener \
         ports mapped to the host), skipped when the cluster already exists.\n\
         3. **Envoy Gateway**: `helm upgrade --install eg oci://docker.io/envoyproxy/gateway-helm` into \
         `envoy-gateway-system`, then waits for the `envoy-gateway` Deployment. The chart also installs the Gateway \
         API CRDs; the script warns when their bundle version is not the expected one.\n\
         4. **Namespaces** your objects use are created, so files that do not define them still apply.\n",
    );
    let mut n = 5;
    if plan.cert_manager {
        let _ = writeln!(
            s,
            "{n}. **cert-manager** from the `jetstack` Helm repository, with its CRDs and Gateway API support \
             (`config.enableGatewayAPI=true`)."
        );
        n += 1;
        if !input.missing_tls_secrets.is_empty() {
            let _ = writeln!(
                s,
                "{n}. **A lab CA** (`manifests/generated/lab-ca.yaml`): a self-signed ClusterIssuer issues a CA \
                 certificate (Secret `cert-manager/gwlab-ca`), which backs the `gwlab-ca` ClusterIssuer. Then one \
                 Certificate per TLS Secret your listeners reference but your files do not define \
                 (`manifests/generated/certificates.yaml`). The CA certificate is written to `ca.crt`, which \
                 verify.sh hands to `curl --cacert`."
            );
            n += 1;
        }
    }
    let _ = writeln!(s, "{n}. **Your manifests**, applied in load order with `kubectl apply`; a rejected file is reported and the install goes on.");
    n += 1;
    let _ = writeln!(
        s,
        "{n}. **Envoy as NodePort**: kind has no LoadBalancer, so each Gateway's Envoy Service is made a NodePort \
         Service whose nodePorts are fixed to the ports `kind-config.yaml` maps to the host. Gateways without an \
         EnvoyProxy of their own get one (`manifests/generated/envoyproxies.yaml`) through \
         `spec.infrastructure.parametersRef`, patched in with `kubectl patch` so your files stay as written. The \
         Gateway level was chosen over the GatewayClass's `parametersRef` because every Gateway has its own Envoy \
         Service and needs its own nodePorts, and because it leaves a GatewayClass of yours untouched \
         (`mergeType: StrategicMerge` keeps what an EnvoyProxy on the class sets). When an EnvoyProxy of yours \
         already governs the Service (a Gateway-level one, or the class's with `mergeGateways`), that object is \
         patched instead. `externalTrafficPolicy: Cluster` lets the control-plane node, where the host ports land, \
         forward to an Envoy pod on any node."
    );
    n += 1;
    if !plan.echoes.is_empty() {
        let _ = writeln!(
            s,
            "{n}. **Backends**: every Service your routes use that no workload of yours backs gets an echo-basic \
             Deployment (`manifests/generated/backends.yaml`) carrying the Service's selector labels and listening \
             on its targetPort (a named targetPort becomes a container port of that name). echo-basic answers with \
             JSON naming its pod and namespace (`POD_NAME`, `NAMESPACE` from the downward API) and the path, host, \
             method and headers it received."
        );
        n += 1;
    }
    let _ = writeln!(s, "{n}. **Waits** for every GatewayClass to be Accepted and every Gateway to be Programmed, printing the conditions of any that is not.");

    s.push_str("\n## Ports\n\n| Gateway | listener port | nodePort | host port (127.0.0.1) |\n|---|---|---|---|\n");
    for plane in &plan.planes {
        let gws: Vec<String> = plane
            .gateways
            .iter()
            .map(|(ns, n)| format!("{ns}/{n}"))
            .collect();
        for pm in &plane.ports {
            let _ = writeln!(
                s,
                "| {} | {}{} | {} | {} |",
                code(&gws.join(", ")),
                pm.port,
                if pm.udp { "/UDP" } else { "" },
                pm.node_port,
                pm.host_port
            );
        }
    }
    s.push_str(
        "\nThe host port is the listener port whenever it is free, so requests carry the Host header, SNI and port the \
         predictions were made for. A second Gateway on the same port gets a high host port and verify.sh reaches it \
         with `curl --connect-to`. To try a request by hand:\n\n",
    );
    if let Some(p) = input
        .predictions
        .iter()
        .find(|p| p.scheme.eq_ignore_ascii_case("http"))
    {
        let _ = writeln!(
            s,
            "```sh\ncurl -sv --resolve {} -- {}\n```",
            inline(&sh(&format!("{}:{}:127.0.0.1", p.host, p.port))),
            inline(&sh(&format!(
                "http://{}{}{}",
                p.host,
                if p.port == 80 {
                    String::new()
                } else {
                    format!(":{}", p.port)
                },
                p.path
            ))),
        );
    } else {
        s.push_str(
            "```sh\ncurl -sv --resolve app.example.com:80:127.0.0.1 http://app.example.com/\n```\n",
        );
    }

    s.push_str("\n## What verify.sh checks\n\n");
    s.push_str(
        "For each request it sends one `curl` (no redirect following; `--resolve` or `--connect-to` for the address, \
         the exact Host and SNI, `--cacert ca.crt` for names the lab CA covers and `--insecure` for certificates of \
         your own) and compares the status code, the `Location` and other response headers, and, from echo-basic's \
         JSON answer, the answering pod (it must be an endpoint of the predicted Service; when the Service's \
         EndpointSlices cannot be read, the pod name minus its two hash suffixes must be the generated \
         Deployment), its namespace, the path, host and headers the backend received. A traffic split is checked by \
         sending 200 requests (`GWLAB_SAMPLES`) and comparing each Service's share with the predicted one, within \
         four standard deviations of a binomial share (at least 3 points). A failing case is retried (`GWLAB_RETRIES`, default 5, `GWLAB_RETRY_DELAY` seconds apart) \
         because Envoy takes a moment to converge after a change. `expect.yaml` holds the same expectations in the \
         gwlab test format (`gwlab test expect.yaml` checks them against the simulator).\n\n",
    );
    s.push_str("| # | case | request | expected |\n|---|---|---|---|\n");
    for (i, p) in input.predictions.iter().take(MAX_VERIFY_CASES).enumerate() {
        let e = &p.expect;
        let http = matches!(p.scheme.to_ascii_lowercase().as_str(), "http" | "https");
        let mut what = vec![if http {
            format!("status {}", e.status)
        } else {
            "checked by the simulator only".into()
        }];
        if let Some(d) = &e.distribution {
            let parts: Vec<String> = d
                .iter()
                .map(|((ns, n), pct)| format!("{ns}/{n} {pct}%"))
                .collect();
            what.push(parts.join(", "));
        } else if let Some((ns, n)) = &e.backend {
            what.push(format!("{ns}/{n}"));
        }
        if let Some(l) = &e.location {
            what.push(format!("Location {l}"));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            i + 1,
            inline(if p.name.is_empty() {
                &p.request_line
            } else {
                &p.name
            })
            .replace('|', "\\|"),
            code(&p.request_line),
            inline(&what.join("; ")).replace('|', "\\|")
        );
    }

    s.push_str(
        "\n## Troubleshooting by symptom\n\n\
         Start with `kubectl --context kind-gwlab get gatewayclass,gateway,httproute -A` and look at the conditions \
         (`kubectl describe`).\n\n\
         - **GatewayClass stays `Pending` / not Accepted**: its `controllerName` must be \
         `gateway.envoyproxy.io/gatewayclass-controller` and Envoy Gateway must run: \
         `kubectl -n envoy-gateway-system get pods`, `kubectl -n envoy-gateway-system logs deploy/envoy-gateway`.\n\
         - **Gateway not Programmed**: `AddressNotAssigned` means the Envoy Service has no address yet; \
         `NoResources` means no Envoy pod is ready (`kubectl -n envoy-gateway-system get pods,svc`, look for \
         image pulls or a nodePort conflict in `kubectl -n envoy-gateway-system get events`); \
         `Accepted=False/InvalidParameters` points at an EnvoyProxy.\n\
         - **Route not attached** (`Accepted=False` on the route's parent): `NotAllowedByListeners` (the listener's \
         `allowedRoutes` excludes the route's namespace or kind), `NoMatchingListenerHostname` (no listener hostname \
         intersects the route's), `NoMatchingParent` (wrong `sectionName` or `port`). The Gateway's listener \
         `attachedRoutes` shows what attached.\n\
         - **404**: no route matched the host and path: check the Host header (verify.sh prints what was sent), the \
         route's `hostnames` and the listener's `hostname`.\n\
         - **500**: the route is attached but its backend is unusable: `ResolvedRefs=False` with `BackendNotFound` \
         (wrong Service name or port), `RefNotPermitted` (a cross-namespace backend without a ReferenceGrant), or an \
         invalid Envoy Gateway policy.\n\
         - **503**: the Service has no ready endpoints: `kubectl get endpointslices -n NS -l \
         kubernetes.io/service-name=NAME`; the Service's `targetPort` must be a port the pods listen on.\n\
         - **421 Misdirected Request**: an HTTP/2 connection was reused for a host its certificate or listener does \
         not cover; send each host on its own connection (curl does) or fix the certificate's names.\n\
         - **TLS handshake errors**: `curl -v` shows which certificate was served. An unknown SNI gets no \
         certificate (`tlsv1 alert`/`handshake failure`): the listener `hostname` must match the SNI. `unable to get \
         local issuer certificate` means curl lacks the CA: use `--cacert ca.crt` (written by install.sh). A Secret \
         that is missing or in another namespace without a ReferenceGrant leaves the listener `ResolvedRefs=False` \
         (`InvalidCertificateRef`/`RefNotPermitted`); `kubectl get certificate -A` shows cert-manager's progress.\n\
         - **Connection refused on 127.0.0.1**: the host port is not mapped (was the cluster created from this \
         `kind-config.yaml`? `docker ps` shows the mappings) or the Envoy Service is not a NodePort with the \
         expected nodePorts (`kubectl -n envoy-gateway-system get svc`).\n\
         - **A FAIL naming another pod**: the request reached a different Service than predicted; compare the \
         route's matches with what verify.sh sent, and `gwlab route` on the same request.\n\n\
         ## Reading Envoy's configuration\n\n\
         Envoy's admin interface listens on port 19000 inside each Envoy pod:\n\n\
         ```sh\n\
         POD=$(kubectl --context kind-gwlab -n envoy-gateway-system get pods \\\n  \
         -l app.kubernetes.io/component=proxy -o jsonpath='{.items[0].metadata.name}')\n\
         kubectl --context kind-gwlab -n envoy-gateway-system port-forward \"pod/$POD\" 19000:19000 &\n\
         curl -s localhost:19000/config_dump | jq '.configs[].@type'\n\
         curl -s localhost:19000/clusters      # upstream clusters and endpoint health\n\
         curl -s localhost:19000/stats | grep -E 'downstream_rq_[2-5]xx'\n```\n\n\
         With `egctl` (Envoy Gateway's CLI, same version as the chart), per Gateway:\n\n\
         ```sh\n\
         egctl config envoy-proxy route -n envoy-gateway-system   # or listener, cluster, endpoint, all\n\
         egctl x translate --from gateway-api --to xds -f manifests/<file>.yaml   # offline translation\n\
         ```\n\n\
         Routes are under `dynamic_route_configs`, one virtual host per listener hostname; each route's `match` and \
         `route.cluster` (or `weighted_clusters`) show where a request goes.\n\n\
         ## Files\n\n\
         - `kind-config.yaml`: the cluster; `install.sh`, `verify.sh`, `cleanup.sh`: the three steps.\n\
         - `expect.yaml`: the predictions in the gwlab test format.\n",
    );
    for f in user_files {
        let _ = writeln!(
            s,
            "- {}: your file, as written.",
            code(&format!("manifests/{f}"))
        );
    }
    s.push_str("- `manifests/generated/`: what the bundle adds (namespaces, EnvoyProxies, GatewayClasses, certificates, backends, as needed).\n");

    let mut notes: Vec<String> = Vec::new();
    notes.extend(cap_note(input));
    for (ns, name) in &plan.selectorless {
        notes.push(format!(
            "Service {} has no selector and no workload, so no backend was generated for it: add a Deployment or EndpointSlices yourself.",
            code(&format!("{ns}/{name}"))
        ));
    }
    if input
        .gateways
        .iter()
        .any(|g| g.merged && g.envoy_proxy.is_none())
    {
        notes.push("A Gateway is marked as merged but no EnvoyProxy was named for its class; Envoy Gateway ignores Gateway-level parameters under `mergeGateways`, so its Service may stay a LoadBalancer.".into());
    }
    if input
        .predictions
        .iter()
        .any(|p| !matches!(p.scheme.to_ascii_lowercase().as_str(), "http" | "https"))
    {
        notes.push("Requests other than http:// and https:// (TLS passthrough, TCP, UDP, gRPC) are listed as SKIP: check them with `gwlab test expect.yaml` and by hand.".into());
    }
    if !notes.is_empty() {
        s.push_str("\n## Notes for this bundle\n\n");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s.push_str(
        "\n## Teardown\n\n`./cleanup.sh` deletes the kind cluster (everything in it goes with it) and `ca.crt`. Docker images \
         kind pulled stay cached; `docker image prune` removes them.\n",
    );
    s
}
