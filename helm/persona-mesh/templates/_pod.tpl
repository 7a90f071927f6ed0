{{/*
The pod template every component shares: one container running `python -m <module>`
from the common image, non-root with a read-only root filesystem, native gRPC probes on
its gRPC port, a writable /tmp, the mesh's internal secret (PM_INTERNAL_SECRET_FILE), and
drain timing that outlasts the service's own.

Context (dict):
  root         the chart's root context ($)
  component    component name ("abi", "abbey", ...)
  c            the component's values (resources, env, scheduling, optional probe overrides)
  grpcPort     gRPC port (also the probes' port)
  metricsPort  Prometheus port to expose, or 0 for none
  httpPort     HTTP port to expose (gateway), or 0 for none
  env          extra container env entries, as YAML list text
  volumeMounts extra volume mounts, as YAML list text
  volumes      extra volumes, as YAML list text
*/}}
{{- define "persona-mesh.podTemplate" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $values := $root.Values -}}
{{- $probes := $values.probes -}}
{{- with $c.probes }}{{ $probes = mergeOverwrite (deepCopy $values.probes) . }}{{ end -}}
metadata:
  labels:
    {{- include "persona-mesh.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if eq .component "gateway" }}
    checksum/auth: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- end }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "persona-mesh.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $values.serviceAccount.automountServiceAccountToken }}
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ $values.drain.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "persona-mesh.image" $root | quote }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      command: ["python", "-m", {{ $c.module | quote }}]
      securityContext:
        {{- toYaml $values.containerSecurityContext | nindent 8 }}
      ports:
        - name: grpc
          containerPort: {{ .grpcPort }}
          protocol: TCP
        {{- if .httpPort }}
        - name: http
          containerPort: {{ .httpPort }}
          protocol: TCP
        {{- end }}
        {{- if .metricsPort }}
        - name: metrics
          containerPort: {{ .metricsPort }}
          protocol: TCP
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "persona-mesh.fullname" $root }}
      env:
        - name: PM_PORT
          value: {{ .grpcPort | quote }}
        # The mesh's internal secret: the gateway signs internal calls with it, every service verifies them.
        - name: PM_INTERNAL_SECRET_FILE
          value: {{ printf "%s/%s" (include "persona-mesh.internalSecretDir" $root) $values.internalAuth.secretKey | quote }}
        {{- with .env }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- range $name, $value := $c.env }}
        - name: {{ $name }}
          value: {{ $value | toString | quote }}
        {{- end }}
      startupProbe:
        grpc:
          port: {{ .grpcPort }}
        {{- toYaml $probes.startup | nindent 8 }}
      readinessProbe:
        grpc:
          port: {{ .grpcPort }}
        {{- toYaml $probes.readiness | nindent 8 }}
      livenessProbe:
        grpc:
          port: {{ .grpcPort }}
        {{- toYaml $probes.liveness | nindent 8 }}
      resources:
        {{- toYaml $c.resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: internal-auth
          mountPath: {{ include "persona-mesh.internalSecretDir" $root }}
          readOnly: true
        {{- with .volumeMounts }}
        {{- . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $values.tmpSizeLimit }}
    - name: internal-auth
      secret:
        secretName: {{ include "persona-mesh.internalSecretName" $root }}
        defaultMode: 0440
        items:
          - key: {{ $values.internalAuth.secretKey }}
            path: {{ $values.internalAuth.secretKey }}
    {{- with .volumes }}
    {{- . | nindent 4 }}
    {{- end }}
  {{- with $c.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $c.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml $c.topologySpreadConstraints | nindent 4 }}
  {{- else if $values.spreadAcrossNodes }}
  # Soft spread: replicas prefer different nodes, so one node failure takes few of them.
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "persona-mesh.selectorLabels" (dict "root" $root "component" .component) | nindent 10 }}
  {{- end }}
{{- end }}
