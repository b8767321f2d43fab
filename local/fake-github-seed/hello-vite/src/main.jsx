import { createRoot } from 'react-dom/client';

function App() {
  return (
    <main>
      <h1>Hello from Vite + React</h1>
      <p>Built and deployed by Runway from the local fake GitHub. Edit <code>src/main.jsx</code> and push again.</p>
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
