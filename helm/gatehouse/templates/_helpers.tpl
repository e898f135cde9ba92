{{/* Names, labels, the address lists and gatehouse.yaml, shared by the templates. */}}

{{- define "gatehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gatehouse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gatehouse.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The Secret mounted at /etc/gatehouse/secrets, if any. */}}
{{- define "gatehouse.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else if .Values.secrets }}
{{- include "gatehouse.fullname" . }}
{{- end }}
{{- end }}

{{/* The migrate hook runs for a served configuration whose store is PostgreSQL. */}}
{{- define "gatehouse.migrateHook" -}}
{{- $store := get (.Values.config.settings | default dict) "store" | default dict }}
{{- if and (eq .Values.mode "serve") .Values.migrate.enabled (eq (get $store "client" | default "") "pg") }}true{{ end }}
{{- end }}

{{/*
An address list (CIDRs, bare addresses, zone names) as CIDRs: zone names are replaced by their zone's entries and a
bare address becomes a /32 (IPv4) or /128 (IPv6). Input: (dict "list" $entries "zones" $zones). Output: a JSON list.
*/}}
{{- define "gatehouse.cidrs" -}}
{{- $out := list }}
{{- range $entry := .list }}
{{- $expanded := list $entry }}
{{- if hasKey $.zones $entry }}
{{- $expanded = get $.zones $entry }}
{{- end }}
{{- range $address := $expanded }}
{{- if contains "/" $address }}
{{- $out = append $out $address }}
{{- else if contains ":" $address }}
{{- $out = append $out (printf "%s/128" $address) }}
{{- else }}
{{- $out = append $out (printf "%s/32" $address) }}
{{- end }}
{{- end }}
{{- end }}
{{- $out | uniq | toJson }}
{{- end }}

{{/* CIDRs of `network.allow`. */}}
{{- define "gatehouse.allowCidrs" -}}
{{- include "gatehouse.cidrs" (dict "list" .Values.network.allow "zones" .Values.network.zones) }}
{{- end }}

{{/* CIDRs whose packets may reach the HTTP port: `network.allow` and the trusted proxies. */}}
{{- define "gatehouse.ingressCidrs" -}}
{{- $allow := include "gatehouse.allowCidrs" . | fromJsonArray }}
{{- $proxies := include "gatehouse.cidrs" (dict "list" .Values.network.trustedProxies "zones" .Values.network.zones) | fromJsonArray }}
{{- concat $allow $proxies | uniq | toJson }}
{{- end }}

{{/* Config and secret mount points. */}}
{{- define "gatehouse.configDir" -}}/etc/gatehouse/config{{- end }}
{{- define "gatehouse.secretDir" -}}/etc/gatehouse/secrets{{- end }}
{{- define "gatehouse.dataDir" -}}/var/lib/gatehouse{{- end }}

{{/*
gatehouse.yaml: `config.settings` with the keys the chart owns written over it. audit.instanceId is the pod's name
(POD_NAME, from the downward API): stable per StatefulSet replica, unique among them.
*/}}
{{- define "gatehouse.config" -}}
{{- $settings := deepCopy (.Values.config.settings | default dict) }}
{{- $server := dict "host" "0.0.0.0" "port" .Values.server.port "shutdownGraceMs" .Values.server.shutdownGraceMs "requestTimeoutMs" .Values.server.requestTimeoutMs "bodyLimitBytes" .Values.server.bodyLimitBytes }}
{{- $spec := .Values.openapi.path }}
{{- if .Values.openapi.document }}
{{- $spec = printf "%s/openapi.yaml" (include "gatehouse.configDir" .) }}
{{- end }}
{{- $network := dict "allow" .Values.network.allow "zones" .Values.network.zones "trustedProxies" .Values.network.trustedProxies "clients" .Values.network.clients "scopes" .Values.network.scopes }}
{{- $owned := dict "server" $server "spec" $spec "network" $network }}
{{- if .Values.metrics.enabled }}
{{- $_ := set $owned "metrics" (dict "enabled" true "host" "0.0.0.0" "port" .Values.metrics.port "path" .Values.metrics.path) }}
{{- end }}
{{- if hasKey $settings "audit" }}
{{- $_ := set $owned "audit" (mergeOverwrite (get $settings "audit" | default dict) (dict "instanceId" "${POD_NAME}")) }}
{{- end }}
{{- if include "gatehouse.migrateHook" . }}
{{- $_ := set $owned "store" (mergeOverwrite (get $settings "store") (dict "migrate" false)) }}
{{- end }}
{{- toYaml (mergeOverwrite $settings $owned) }}
{{- end }}

{{/* The environment every gatehouse container gets (the gateway and the migrate Job). */}}
{{- define "gatehouse.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: GATEHOUSE_CONFIG
  value: {{ include "gatehouse.configDir" . }}/gatehouse.yaml
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Checks that need more than the values schema; each failure says what to change. */}}
{{- define "gatehouse.validate" -}}
{{- $settings := .Values.config.settings | default dict }}
{{- range $key := list "server" "spec" "network" "metrics" }}
{{- if hasKey $settings $key }}
{{- fail (printf "config.settings.%s: set by the chart; use the chart's own values (server, openapi, network, metrics)" $key) }}
{{- end }}
{{- end }}
{{- if and (hasKey $settings "audit") (hasKey (get $settings "audit" | default dict) "instanceId") }}
{{- fail "config.settings.audit.instanceId: set by the chart to the pod name, so that every replica keeps its own chain" }}
{{- end }}
{{- if and .Values.secrets .Values.existingSecret }}
{{- fail "secrets and existingSecret: set one of them, not both" }}
{{- end }}
{{- if eq .Values.mode "serve" }}
{{- if not (get $settings "sources") }}
{{- fail "mode serve needs config.settings.sources (the databases to serve)" }}
{{- end }}
{{- if not (or .Values.openapi.document .Values.openapi.path) }}
{{- fail "mode serve needs the OpenAPI document: openapi.document (e.g. --set-file openapi.document=erp.yaml) or openapi.path" }}
{{- end }}
{{- if and .Values.openapi.document .Values.openapi.path }}
{{- fail "openapi.document and openapi.path: set one of them, not both" }}
{{- end }}
{{- else if .Values.autoscaling.enabled }}
{{- fail "autoscaling: mode demo runs one replica (each demo pod has its own database and token key); use mode serve" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled" }}
{{- end }}
{{- if and (eq .Values.service.type "LoadBalancer") (not .Values.service.loadBalancerSourceRanges) (not .Values.network.allow) }}
{{- fail "service.type LoadBalancer needs network.allow (or service.loadBalancerSourceRanges): without source ranges it is open to everyone" }}
{{- end }}
{{- if .Values.terminationGracePeriodSeconds }}
{{- $needed := add (div (add .Values.server.shutdownGraceMs 999) 1000) .Values.lifecycle.preStopSleepSeconds }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed server.shutdownGraceMs plus lifecycle.preStopSleepSeconds (%d s), or the gateway is killed while draining" (int .Values.terminationGracePeriodSeconds) (int $needed)) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gatehouse.terminationGracePeriodSeconds" -}}
{{- if .Values.terminationGracePeriodSeconds }}
{{- .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- add (div (add .Values.server.shutdownGraceMs 999) 1000) .Values.lifecycle.preStopSleepSeconds 5 }}
{{- end }}
{{- end }}
