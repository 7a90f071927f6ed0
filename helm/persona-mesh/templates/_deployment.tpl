{{/*
A Deployment of one stateless component plus its Service.

Context (dict):
  root, component, c   as for persona-mesh.podTemplate
  grpcPort, metricsPort, httpPort, env   passed to persona-mesh.podTemplate
  volumeMounts, volumes  extra mounts and volumes as YAML list text (may be empty)
  headless             true: a headless Service (per-pod DNS records, for client-side balancing)
  autoscaling          the component's autoscaling values, or nil (HPA owns the replica count when enabled)
*/}}
{{- define "persona-mesh.deployment" -}}
{{- $root := .root -}}
{{- $name := include "persona-mesh.componentName" (dict "root" $root "component" .component) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "persona-mesh.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  {{- if not (and .autoscaling .autoscaling.enabled) }}
  replicas: {{ .c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "persona-mesh.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    {{- include "persona-mesh.podTemplate" (dict "root" $root "component" .component "c" .c "grpcPort" .grpcPort "metricsPort" .metricsPort "httpPort" .httpPort "env" .env "volumeMounts" (default "" .volumeMounts) "volumes" (default "" .volumes)) | nindent 4 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "persona-mesh.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
    persona-mesh.io/scrape: "true"
spec:
  {{- if .headless }}
  # Headless: DNS returns every ready pod, so the gateway balances across replicas itself.
  clusterIP: None
  {{- else }}
  type: ClusterIP
  {{- end }}
  selector:
    {{- include "persona-mesh.selectorLabels" (dict "root" $root "component" .component) | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .grpcPort }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- if .metricsPort }}
    - name: metrics
      port: {{ .metricsPort }}
      targetPort: metrics
      protocol: TCP
      appProtocol: http
    {{- end }}
{{- if and .autoscaling .autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "persona-mesh.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}
