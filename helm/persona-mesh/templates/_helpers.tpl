{{/* Names, labels and addresses shared by every template. */}}

{{- define "persona-mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "persona-mesh.fullname" -}}
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

{{/* Object name of one component. Context: dict "root" $ "component" "abi". */}}
{{- define "persona-mesh.componentName" -}}
{{- printf "%s-%s" (include "persona-mesh.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "persona-mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "persona-mesh.labels" -}}
helm.sh/chart: {{ include "persona-mesh.chart" . }}
app.kubernetes.io/name: {{ include "persona-mesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: persona-mesh
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component's objects. Context: dict "root" $ "component" "abi". */}}
{{- define "persona-mesh.componentLabels" -}}
{{ include "persona-mesh.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector of one component's pods. Context: dict "root" $ "component" "abi". */}}
{{- define "persona-mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "persona-mesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "persona-mesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "persona-mesh.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "persona-mesh.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* In-cluster DNS name of a component's Service. Context: dict "root" $ "component" "abi". */}}
{{- define "persona-mesh.host" -}}
{{- printf "%s.%s.svc.%s" (include "persona-mesh.componentName" .) .root.Release.Namespace .root.Values.clusterDomain }}
{{- end }}

{{- define "persona-mesh.abiAddr" -}}
{{- printf "%s:%v" (include "persona-mesh.host" (dict "root" . "component" "abi")) .Values.abi.port }}
{{- end }}

{{- define "persona-mesh.embeddingsAddr" -}}
{{- printf "%s:%v" (include "persona-mesh.host" (dict "root" . "component" "embeddings")) .Values.embeddings.port }}
{{- end }}

{{/* Name of the Secret holding the mesh's internal secret (PM_INTERNAL_SECRET_FILE). */}}
{{- define "persona-mesh.internalSecretName" -}}
{{- default (include "persona-mesh.componentName" (dict "root" . "component" "internal-auth")) .Values.internalAuth.existingSecret }}
{{- end }}

{{/* Where every pod mounts that secret. */}}
{{- define "persona-mesh.internalSecretDir" -}}
/etc/persona-mesh/internal
{{- end }}

{{/* Metrics port of a gRPC service: its gRPC port + 1000, as the services default to. */}}
{{- define "persona-mesh.metricsPort" -}}
{{- add . 1000 }}
{{- end }}

{{/* True (non-empty) when the embeddings service uses the embedded milvus-lite. */}}
{{- define "persona-mesh.milvusLite" -}}
{{- if not .Values.milvus.uri }}true{{- end }}
{{- end }}

{{/* Refuse settings that would cut a drain short. */}}
{{- define "persona-mesh.validate" -}}
{{- $drain := .Values.drain }}
{{- if le (float64 $drain.terminationGracePeriodSeconds) (addf $drain.delaySeconds $drain.graceSeconds) }}
{{- fail (printf "drain.terminationGracePeriodSeconds (%v) must exceed drain.delaySeconds + drain.graceSeconds (%v)" $drain.terminationGracePeriodSeconds (addf $drain.delaySeconds $drain.graceSeconds)) }}
{{- end }}
{{- $default := .Values.gateway.defaultPersona }}
{{- if not (and (hasKey .Values.personas $default) (get .Values.personas $default).enabled) }}
{{- fail (printf "gateway.defaultPersona %q is not an enabled persona" $default) }}
{{- end }}
{{- range $name, $persona := .Values.personas }}
{{- if not (regexMatch "^[a-z][a-z0-9]{0,20}$" $name) }}
{{- fail (printf "persona name %q must be lower-case letters and digits (it becomes a Service name and a key of PM_PERSONA_DNS)" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Every component of the release as JSON: [{name, values, grpcPort, replicas}]. The gateway's
replica count is its HPA minimum when autoscaling; the embeddings' is 1 with milvus-lite.
*/}}
{{- define "persona-mesh.components" -}}
{{- $v := .Values }}
{{- $embeddingsReplicas := ternary 1 $v.embeddings.replicas (not $v.milvus.uri) }}
{{- $list := list (dict "name" "embeddings" "values" $v.embeddings "grpcPort" $v.embeddings.port "replicas" $embeddingsReplicas) }}
{{- $list = append $list (dict "name" "abi" "values" $v.abi "grpcPort" $v.abi.port "replicas" $v.abi.replicas) }}
{{- range $name, $p := $v.personas }}
{{- if $p.enabled }}
{{- $list = append $list (dict "name" $name "values" $p "grpcPort" $p.port "replicas" (ternary $p.autoscaling.minReplicas $p.replicas $p.autoscaling.enabled)) }}
{{- end }}
{{- end }}
{{- $gw := $v.gateway }}
{{- $list = append $list (dict "name" "gateway" "values" $gw "grpcPort" $gw.grpcPort "replicas" (ternary $gw.autoscaling.minReplicas $gw.replicas $gw.autoscaling.enabled)) }}
{{- toJson $list }}
{{- end }}
