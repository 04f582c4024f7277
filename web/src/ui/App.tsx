export function App() {
  return <main><h1>FastChat</h1></main>;
}
